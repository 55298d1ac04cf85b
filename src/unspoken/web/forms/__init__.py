"""The forms of the web page: fields (:mod:`.fields`), the calls they make (:mod:`.runners`),
the catalogue of forms (:mod:`.catalogue`, assembled from one module per family) and errors
in plain words next to their field (:mod:`.messages`). :mod:`unspoken.web.analyses` is the
entry point the server uses."""
