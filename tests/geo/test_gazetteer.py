import pytest

from routerisk.errors import GeocodeError
from routerisk.geo.gazetteer import geocode, normalize_name


def test_accent_and_case_insensitive(gazetteer):
    a = geocode("SEGOU", gazetteer=gazetteer)
    b = geocode("Ségou", gazetteer=gazetteer)
    assert a == b
    assert a.country_iso3 == "MLI" and a.place_class == "city"
    assert abs(a.lat - 13.44) < 0.05 and abs(a.lon + 6.27) < 0.05


def test_prefers_bigger_place_over_homonym_villages(gazetteer):
    bamako = geocode("bamako", gazetteer=gazetteer)
    assert bamako.country_iso3 == "MLI" and bamako.population > 1_000_000


def test_name_en_is_matched(gazetteer):
    conakry = geocode("Conakry", gazetteer=gazetteer)
    assert conakry.country_iso3 == "GIN"
    assert abs(conakry.lat - 9.52) < 0.05


def test_country_preference(gazetteer):
    farabougou_sen = geocode("Farabougou", gazetteer=gazetteer)
    assert farabougou_sen.country_iso3 == "SEN"  # the Malian one is not in the 2019 extract


def test_unknown_place_lists_near_matches(gazetteer):
    with pytest.raises(GeocodeError, match="did you mean: .*Kayes"):
        geocode("Kayess", gazetteer=gazetteer)


def test_coordinates_pass_through_and_are_checked(gazetteer):
    p = geocode("12.65,-8.0", gazetteer=gazetteer)
    assert (p.lat, p.lon) == (12.65, -8.0)
    with pytest.raises(GeocodeError, match="latitude"):
        geocode("123.4,-8.0", gazetteer=gazetteer)


def test_normalize_name():
    assert normalize_name("Nioro-du-Sahel") == normalize_name("nioro du  SAHEL")
    assert normalize_name("Kourémalé") == "kouremale"
