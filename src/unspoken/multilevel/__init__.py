"""Multilevel (area-level) models of hidden opinion: :func:`multilevel_list`, the binomial
list model with random intercepts by area (:mod:`unspoken.multilevel.model` the marginal
likelihood by adaptive quadrature, :mod:`unspoken.multilevel.fit` the public function,
:mod:`unspoken.multilevel.results` its result)."""

from unspoken.multilevel.fit import multilevel_list

__all__ = ["multilevel_list"]
