"""The Mist API hosts that mistapi accepts, one per cloud region.

Shared by the connection (which refuses any other MIST_HOST up front) and the simulator (which
answers on every one of them), so both always agree on the list.
"""

MIST_HOSTS = (
    # Global
    "api.mist.com",
    "api.gc1.mist.com",
    "api.ac2.mist.com",
    "api.gc2.mist.com",
    "api.gc4.mist.com",
    # EMEA
    "api.eu.mist.com",
    "api.gc3.mist.com",
    "api.ac6.mist.com",
    "api.gc6.mist.com",
    # APAC
    "api.ac5.mist.com",
    "api.gc5.mist.com",
    "api.gc7.mist.com",
    # Others mistapi accepts
    "api.mistsys.com",
    "api.ac99.mist.com",
    "api.gc1.mistsys.com",
    "api.us.mist-federal.com",
)
