"""The broadcast benchmark: 100,000 followers, one survey broadcast, then a second one killed and resumed."""
