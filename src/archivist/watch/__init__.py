"""Folder watching: file-system events are hints, the file system is the truth."""
