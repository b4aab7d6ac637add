"""Service users' API keys: the secrets other systems log in with, stored hashed, rotated by an administrator."""
