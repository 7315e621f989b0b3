"""The in-cluster CronJob: fleet -> prices -> demand -> solve -> guards -> act -> metrics."""
