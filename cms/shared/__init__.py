"""Shared helpers: the bottom of the layers. They import Django, the standard
library and each other (in the order the layers contract gives), never an app."""
