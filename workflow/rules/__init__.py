"""Business rules as plain functions of plain values: no database, no request."""
