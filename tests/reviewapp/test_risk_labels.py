"""The question list labels each row's risk without an include per row: the labels must stay the include's."""

import pytest
from django.template.loader import render_to_string

from questionnaire.rating import Risk
from reviewapp.selectors.reviews import RISK_LABELS


@pytest.mark.parametrize("risk", list(Risk))
def test_every_risk_is_labelled_as_the_shared_label_template_labels_it(risk):
    assert RISK_LABELS[risk] == render_to_string("reviews/_risk_label.html", {"risk": risk}).strip()
