"""Demo data for `make run`: realistic registrations spread over the seeded partners."""
