"""Runtime plumbing for doorflow: settings, the local engine, the store and the stack that ties them."""
