// Every test class here runs one or more whole local meshes (tens of processes each). Run side by side on two cores they
// starve each other's start-up; one at a time they finish sooner and time out never (the other test projects still run
// beside them).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
