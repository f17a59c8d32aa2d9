"""Describing segments to people.

Profiles, names, marketing actions, importance, rules, outcomes and identity.
"""
