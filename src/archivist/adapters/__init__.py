"""Team adapters: LoRA adapters that change how answers are written (style), never what they say (facts).

- ``gguf_header``: reads GGUF metadata and tensor shapes (no llama.cpp, no ``gguf`` package needed);
- ``registry``: ``models/adapters/NAME.gguf`` + ``NAME.json`` sidecar, compatibility with a base model,
  the active choice (``archivist adapters use``);
- ``runtime``: applies the chosen adapter to a generator (hot swap, see ``LlamaGenerator.set_adapter``);
- ``style``: the format checks a team declares, and a style score;
- ``dataset``: training examples (chat JSONL, optionally encrypted) and the feedback export;
- ``train``, ``convert``, ``evaluate``: offline LoRA training (optional ``train`` extra), the llama.cpp
  GGUF converter, and the evaluation that gates ``--promote``.
"""
