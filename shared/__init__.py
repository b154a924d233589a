"""The project's own package: event contracts and the platform code every service shares."""
