"""What every HTTP service shares: the error shape, body validation, the app skeleton."""
