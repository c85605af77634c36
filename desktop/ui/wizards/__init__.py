"""Money-moving wizards: fund, send, withdraw (``fund.py``, ``send.py``, ``withdraw.py``).

Each wizard takes the profile's ``Session`` (``desktop.ui.session``). The main window
imports and opens them directly; nothing here knows the window.
"""
