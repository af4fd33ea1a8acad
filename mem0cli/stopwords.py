"""Words too common to match on: left out of keyword search and of snippet centring.
(Its own module so the CLI's light client path can use it without the search stack.)"""

STOP_WORDS = frozenset(
    """a an the of to in on at for and or but is are was were be been being by with from as that
    this it its his her their our your my i you he she they we me him them us what which who whom
    when where why how did do does has have had not no yes so than then there here about into over
    after before up down out off again very can will just also too more most some any all each both
    few other such only own same""".split()
)
