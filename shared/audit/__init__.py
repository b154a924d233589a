"""Records no one can quietly rewrite (issue 16): audited reads here; hash chains and checkpoints beside them."""
