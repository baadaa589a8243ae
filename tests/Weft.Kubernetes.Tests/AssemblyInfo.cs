// Each test runs a whole mesh (tens of processes) against an API server stand-in; side by side on two cores they starve
// each other's start-up, one at a time they finish sooner.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
