"""The standards a district is checked against, urban or rural (issue 16, item 4).

Urban districts: an ambulance within 8 minutes, a station per 80,000 people within 3 km of
them, an ambulance per 25,000 people. Rural districts, after Hangzhou's plan as issue 16
quotes it: "rural areas get one station per township (建制乡镇) or per 8 km radius, 1-2
ambulances per township, a 12-minute response; 'fixed + mobile' sentinel posts (村卫生室,
docks)". A rural district is one township here; load townships as the
districts to check each of a county's townships.

Which kind a district is comes from its file or from the Degree of Urbanisation
(``planning.urbanisation``).
"""

import math
from dataclasses import dataclass

KINDS = ("urban", "rural")


@dataclass(frozen=True)
class Standard:
    """One kind's rules: response minutes, station radius and how many stations and
    ambulances a district of so many people needs."""

    kind: str
    minutes: float                        # an ambulance at the patient within
    station_radius_km: float              # everyone within this distance of a station
    people_per_station: float | None      # None: one station per township
    people_per_ambulance: float | None    # None: per township, ``ambulances_per_township``
    ambulances_per_township: tuple[int, int] = (1, 2)
    summary: str = ""

    def stations_needed(self, people: float) -> int:
        """Stations the district needs: one per ``people_per_station`` (at least one where
        anyone lives), or one per township."""
        if self.people_per_station is None:
            return 1
        return math.ceil(people / self.people_per_station) if people > 0 else 0

    def stations_met(self, people: float, stations: int, share_within_radius: float | None
                     ) -> bool:
        """Whether the district has the stations it needs; a rural one also meets the rule
        when everyone lives within the radius of a station ("per township or within 8 km"),
        be that station across the township's border."""
        if stations >= self.stations_needed(people):
            return True
        return self.people_per_station is None and share_within_radius == 1.0

    def ambulances_needed(self, people: float) -> int:
        """Ambulances the district needs at least: one per ``people_per_ambulance``, or the
        lower end of the township range."""
        if self.people_per_ambulance is None:
            return self.ambulances_per_township[0]
        return math.ceil(people / self.people_per_ambulance) if people > 0 else 0


STANDARDS: dict[str, Standard] = {
    "urban": Standard("urban", 8.0, 3.0, 80_000, 25_000,
                      summary="urban: 8 min; a station per 80,000 people, within 3 km; "
                              "an ambulance per 25,000 people"),
    "rural": Standard("rural", 12.0, 8.0, None, None,
                      summary="rural: 12 min; a station per township or within 8 km; "
                              "1-2 ambulances per township; fixed + mobile sentinel posts"),
}
