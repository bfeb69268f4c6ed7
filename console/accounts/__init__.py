"""Staff accounts: users, password hashing, login sessions, CSRF and the role policy of the staff console."""
