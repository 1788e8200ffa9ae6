SELECT this_is_not_a_function();
