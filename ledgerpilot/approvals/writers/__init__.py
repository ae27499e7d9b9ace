"""The writers of approved proposals, one module per kind of record written (see ``apply.WRITERS``)."""
