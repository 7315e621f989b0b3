"""Questions about plans: explain, conflicts, price of rules, time slots, independent validation."""
