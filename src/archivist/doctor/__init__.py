"""``archivist doctor``: checks that this installation can work offline, and says how to fix what cannot.

Every check is local: no model is loaded, nothing is downloaded, no document text is read.

- ``checks``: the checks of ``archivist doctor`` and ``diagnose``, which runs them all;
- ``llama``: llama.cpp probed in a child process, so a build that uses instructions this CPU lacks (it dies with
  SIGILL) is reported instead of killing the doctor, and its build features held against the CPU's;
- ``permissions``: the mode of every file and folder under Archivist's private folders;
- ``privacy``: the ``--privacy`` view: the egress guard, the telemetry switches, where every piece of data lives,
  the permissions of every file there, and the folders that libraries wrote outside Archivist's own.
"""
