#!/usr/bin/env python
"""Django's manage.py, kept for tools that expect it; `retainops` is the same thing."""

from retainops.cli import main

if __name__ == "__main__":
    main()
