"""The staff web shell: page frame, sign-in, accounts and roles, CSRF, the audit log and formatting. The
handoff console, the editor and analytics add their pages to it."""
