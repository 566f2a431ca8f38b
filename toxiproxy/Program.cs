Console.WriteLine("toxiproxy");
