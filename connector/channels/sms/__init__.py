"""Pure functions for SMS text: no I/O, no store, no config.

`text` knows the wire: the GSM 03.38 alphabet, how outbound text is cut into
segments, concatenation User Data Headers (including Kannel's URL-encoded
`X-Kannel-UDH`), decoding an incoming body by Kannel's coding and charset, and
phone numbers in E.164. `commands` knows the citizen: whether an SMS is a new
report, a status question or a reply on a report, and the help text that
explains the format.

Neither module sends, stores or reassembles messages: the SMS channel does that.
"""
