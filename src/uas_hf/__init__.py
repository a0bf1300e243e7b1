"""uas_hf: the Unified Audio Schema (UAS) on the Hugging Face stack.

Importing the package registers the UAS-Audio model family with the transformers Auto classes. Heavy submodules
(torch, transformers) are imported lazily so that `uas_hf.schema` stays light.
"""

__version__ = "0.1.0.dev0"
