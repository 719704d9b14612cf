"""The application layer: one use case per user action, called the same way by the CLI and the terminal UI.

``open_workspace(paths, settings)`` opens a ``Workspace``; its methods are the actions on an open index
(``app.workspace`` lists where each is defined). The core packages below never import this one.
"""
