"""Parcours: city–hospital coordination platform for a French health territory."""
