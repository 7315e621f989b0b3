"""Rendering plans and analyses for people (rich tables): one of the two places that print."""
