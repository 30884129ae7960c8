def export_text(response) -> str:
    """The text of a streamed CSV export, checked for its byte-order mark and read without it."""
    assert response.status_code == 200, response.status_code
    data = b"".join(response.streaming_content)
    assert data.startswith("\ufeff".encode()), data[:10]
    return data.decode("utf-8-sig")
