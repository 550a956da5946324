"""Interface texts in Dutch (default) and French."""

TEXTS = {
    "nl": {
        "title": "Koop in je buurt", "tagline": "Speciaalzaken, hoeve- en streekproducten dicht bij jou",
        "where": "Postcode of gemeente", "what": "Wat zoek je?", "what_hint": "bv. kaas, bakker, hoeve",
        "radius": "Straal", "categories": "Categorieën", "delivery": "Levering", "pickup": "Afhalen",
        "webshop": "Webshop", "search": "Zoeken", "results": "{total} zaken binnen {radius} km",
        "about": "ongeveer",
        "none": "Niets gevonden. Probeer een grotere straal of minder filters.", "route": "Route",
        "unknown_place": "Deze postcode of gemeente kennen we niet.",
        "rebuilding": "De zoekindex wordt opnieuw opgebouwd. Probeer het over enkele ogenblikken opnieuw.",
        "previous": "Vorige", "next": "Volgende",
        "other_language": "Français", "km": "km", "opening": "Open", "alternatives": "Of bedoelde je:",
        "ignored": "Niet op gezocht:", "filters": "Verfijnen", "active": "{n} actief", "open_now": "Nu open",
        "open_badge": "Nu open",
    },
    "fr": {
        "title": "Achetez près de chez vous", "tagline": "Commerces spécialisés, produits de la ferme et régionaux",
        "where": "Code postal ou commune", "what": "Que cherchez-vous ?", "what_hint": "p. ex. fromage, boulangerie",
        "radius": "Rayon", "categories": "Catégories", "delivery": "Livraison", "pickup": "Enlèvement",
        "webshop": "Boutique en ligne", "search": "Chercher",
        "results": "{total} commerces dans un rayon de {radius} km", "about": "environ",
        "none": "Rien trouvé. Essayez un rayon plus grand ou moins de filtres.", "route": "Itinéraire",
        "unknown_place": "Ce code postal ou cette commune nous est inconnu.",
        "rebuilding": "L'index de recherche est en cours de reconstruction. Réessayez dans quelques instants.",
        "previous": "Précédent",
        "next": "Suivant", "other_language": "Nederlands", "km": "km", "opening": "Ouvert",
        "alternatives": "Ou vouliez-vous dire :", "ignored": "Mots non pris en compte :", "filters": "Affiner",
        "open_now": "Ouvert maintenant", "open_badge": "Ouvert",
        "active": "{n} actif(s)",
    },
}
