"""Which regions a live refresh for a scenario fetches."""

from builders import make_cluster, make_scenario, make_workload

from placement.load.catalog import scenario_regions


def test_live_refresh_fetches_only_the_scenarios_public_cloud_regions() -> None:
    scenario = make_scenario(
        [
            make_cluster("a", cloud="aws", region="eu-west-1"),
            make_cluster("b", cloud="aws", region="eu-central-1", country="DE"),
            make_cluster("c", cloud="aws", region="eu-west-1"),
            make_cluster("d", cloud="gcp", region="europe-west4", country="NL"),
            make_cluster("e", cloud="private", region="dc1", country="DE"),
        ],
        [make_workload()],
    )
    assert scenario_regions(scenario) == {"aws": ["eu-central-1", "eu-west-1"], "gcp": ["europe-west4"]}
