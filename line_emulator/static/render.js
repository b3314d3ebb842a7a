// Renders the bot's LINE messages (text, flex, template, media) as DOM nodes for the chat page.
"use strict";

window.createLineRender = (runAction) => {
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function actionButton(action, className) {
    const button = el("button", className || "action", (action && action.label) || "(no label)");
    button.type = "button";
    button.addEventListener("click", () => runAction(action));
    return button;
  }

  function renderText(text) {
    return el("div", "bubble", text);
  }

  function componentText(component) {
    if (Array.isArray(component.contents) && component.contents.length) {
      return component.contents.map((span) => span.text || "").join("");
    }
    return component.text || "";
  }

  function renderComponent(component) {
    if (!component || typeof component !== "object") return null;
    let node = null;
    switch (component.type) {
      case "box": {
        const horizontal = component.layout === "horizontal" || component.layout === "baseline";
        node = el("div", horizontal ? "hbox" : "vbox");
        (component.contents || []).map(renderComponent).forEach((c) => c && node.append(c));
        break;
      }
      case "text": {
        const classes = ["text"];
        if (component.weight === "bold") classes.push("bold");
        if (["lg", "xl", "xxl", "3xl", "4xl", "5xl"].includes(component.size)) classes.push("big");
        if (["xxs", "xs", "sm"].includes(component.size)) classes.push("tiny");
        node = el("div", classes.join(" "), componentText(component));
        if (component.color) node.style.color = component.color;
        break;
      }
      case "button":
        return actionButton(component.action, component.style === "primary" ? "action primary" : "action");
      case "image":
        node = el("img");
        node.src = component.url;
        node.alt = "";
        break;
      case "separator":
        return el("hr");
      default:
        return null;
    }
    if (component.action) {
      node.classList.add("clickable");
      node.title = component.action.label || component.action.type;
      node.addEventListener("click", () => runAction(component.action));
    }
    return node;
  }

  function renderBubble(bubble) {
    const panel = el("div", "panel");
    for (const part of ["header", "hero", "body", "footer"]) {
      const rendered = renderComponent(bubble[part]);
      if (!rendered) continue;
      const wrap = el("div", "part " + part);
      wrap.append(rendered);
      panel.append(wrap);
    }
    if (bubble.action) {
      panel.classList.add("clickable");
      panel.addEventListener("click", () => runAction(bubble.action));
    }
    return panel;
  }

  function card(altText, panels) {
    const node = el("div", "card");
    node.append(el("div", "alt", altText || ""));
    const row = el("div", "carousel");
    panels.forEach((p) => row.append(p));
    node.append(row);
    return node;
  }

  function renderFlex(message) {
    const contents = message.contents || {};
    const bubbles = contents.type === "carousel" ? contents.contents || [] : [contents];
    return card(message.altText, bubbles.map(renderBubble));
  }

  function templatePanel(column) {
    const panel = el("div", "panel");
    const part = el("div", "part body");
    const image = column.thumbnailImageUrl || column.imageUrl;
    if (image) {
      const img = el("img");
      img.src = image;
      img.alt = "";
      part.append(img);
    }
    if (column.title) part.append(el("div", "text bold", column.title));
    if (column.text) part.append(el("div", "text", column.text));
    const actions = column.actions || (column.action ? [column.action] : []);
    actions.forEach((a) => part.append(actionButton(a)));
    panel.append(part);
    return panel;
  }

  function renderTemplate(message) {
    const template = message.template || {};
    const columns = Array.isArray(template.columns) ? template.columns : [template];
    return card(message.altText, columns.map(templatePanel));
  }

  function renderMedia(message) {
    const box = el("div", "media");
    if (message.type === "image") {
      const img = el("img");
      img.src = message.previewImageUrl;
      img.alt = "image";
      box.append(img);
    } else {
      const link = el("a", "bubble", `[${message.type}] ${message.originalContentUrl}`);
      link.href = message.originalContentUrl;
      link.target = "_blank";
      link.rel = "noopener";
      box.append(link);
    }
    return box;
  }

  function renderMessage(message) {
    switch (message.type) {
      case "text":
      case "textV2":
        return renderText(message.text);
      case "sticker":
        return renderText(`[sticker ${message.packageId}/${message.stickerId}]`);
      case "image":
      case "video":
      case "audio":
        return renderMedia(message);
      case "location":
        return renderText(`📍 ${message.title}\n${message.address}`);
      case "flex":
        return renderFlex(message);
      case "template":
        return renderTemplate(message);
      default:
        return renderText(`[${message.type}] ${message.altText || JSON.stringify(message)}`);
    }
  }

  return { el, actionButton, renderMessage };
};
