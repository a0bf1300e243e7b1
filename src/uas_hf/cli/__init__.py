"""The `uas-hf` console script: one entry point, one module per subcommand."""
