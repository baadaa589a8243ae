global using Weft.Routing.Matching;
