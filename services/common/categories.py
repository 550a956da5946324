"""The controlled vocabulary of listing categories, with Dutch and French labels."""

from types import MappingProxyType

CATEGORIES = MappingProxyType({
    "speciaalzaak": {"nl": "Speciaalzaak", "fr": "Commerce spécialisé"},
    "voedingsspeciaalzaak": {"nl": "Voedingsspeciaalzaak", "fr": "Commerce alimentaire spécialisé"},
    "hoeveproducten": {"nl": "Hoeveproducten", "fr": "Produits de la ferme"},
    "streekproducten": {"nl": "Streekproducten", "fr": "Produits régionaux"},
    "bakker": {"nl": "Bakker", "fr": "Boulangerie"},
    "slager": {"nl": "Slager", "fr": "Boucherie"},
    "kaas-zuivel": {"nl": "Kaas en zuivel", "fr": "Fromages et produits laitiers"},
    "groenten-fruit": {"nl": "Groenten en fruit", "fr": "Fruits et légumes"},
    "drank": {"nl": "Dranken", "fr": "Boissons"},
    "automaat": {"nl": "Automaat", "fr": "Distributeur automatique"},
    "afhaalpunt": {"nl": "Afhaalpunt", "fr": "Point d'enlèvement"},
    "boeken": {"nl": "Boeken", "fr": "Livres"},
    "kleding": {"nl": "Kleding", "fr": "Vêtements"},
    "bloemen": {"nl": "Bloemen", "fr": "Fleurs"},
    "diensten": {"nl": "Diensten", "fr": "Services"},
})
