"""Probes from an outside attack on the layers, rules and services (issue 13): each test
names what must hold."""
