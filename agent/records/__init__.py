"""Call records: each call's spool shipped to the database, leftovers shipped later, purging."""
