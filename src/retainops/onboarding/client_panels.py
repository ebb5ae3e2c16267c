"""What onboarding adds to the client page: the programs sold to the client."""

from retainops.clients.panels import ClientPanel

# The template reads the client's programs itself and the page's contract rights.
PANELS = (ClientPanel("programs", 10, "onboarding/_client_panel.html"),)
