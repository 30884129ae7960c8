"""What every sender of email shares."""

import smtplib
import socket

# These errors mean the mail server cannot be reached: a run stops and the next one tries again,
# rather than waiting out the timeout once per message. Any other failure is that message's.
# (Not OSError as such: every SMTP error is one, a refused recipient included.)
SERVER_DOWN = (
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
)
