"""The RFC 9421 signature base (§2.5): the exact bytes a signature covers.

One line per covered component, ``<identifier>: <value>``, then the ``"@signature-params"``
line, joined with LF and no trailing newline. Values are field bytes (Latin-1, one character
per byte, as ``http.server`` decodes them); any other character is ``malformed``.
"""

from __future__ import annotations

from . import sf
from .components import (
    Component,
    HttpMessage,
    component_from_item,
    component_value,
    latin1,
    validate_components,
)

__all__ = ["signature_base", "components_of"]


def components_of(signature_params: sf.InnerList) -> list[Component]:
    """The covered components of a ``Signature-Input`` member, validated."""
    components = [component_from_item(item) for item in signature_params.items]
    validate_components(components)
    return components


def signature_base(
    message: HttpMessage,
    signature_params: sf.InnerList,
    *,
    structured_fields: dict[str, str] | None = None,
) -> bytes:
    """Builds the signature base of ``message`` for one ``Signature-Input`` member.

    ``signature_params`` is the member as parsed (components and parameters in received order);
    its serialisation is the ``@signature-params`` value. Raises :class:`VerificationError`
    (``component_missing``, ``component_unsupported``, ``malformed``) when a component cannot be
    read.

    >>> from countersign_verify import sf
    >>> m = HttpMessage(headers=[], method="GET", url="https://example.com/a?b")
    >>> signature_base(m, sf.parse_list('("@method" "@path");created=1')[0]).decode()
    '"@method": GET\\n"@path": /a\\n"@signature-params": ("@method" "@path");created=1'
    """
    lines = [
        f"{c.id}: {component_value(message, c, structured_fields)}"
        for c in components_of(signature_params)
    ]
    lines.append('"@signature-params": ' + sf.serialize_inner_list(signature_params))
    return latin1("\n".join(lines))
