"""The web side of `rolodex serve`: who may connect, the site, and each browser session."""
