"""Timing: the injectable clock, APScheduler wiring, claiming due work and the delivery worker."""
