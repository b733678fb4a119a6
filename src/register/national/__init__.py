"""The national register: many publishers\x27 data packages fetched, checked, namespaced and built into one."""
