"""The live side of the shell: one room per workshop (its runner and its connections)."""
