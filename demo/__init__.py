"""A simulated county year (模拟演示), played through the services' public HTTP APIs only."""
