"""Import machinery shared by the apps: reader, upload page, API and command bases."""
