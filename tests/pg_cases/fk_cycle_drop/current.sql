CREATE TABLE departments (id int PRIMARY KEY, manager_id int);
CREATE TABLE employees (id int PRIMARY KEY, department_id int REFERENCES departments (id));
ALTER TABLE departments ADD CONSTRAINT departments_manager_fk FOREIGN KEY (manager_id) REFERENCES employees (id);
CREATE TABLE nodes (id int PRIMARY KEY, parent_id int REFERENCES nodes (id));
CREATE TABLE stays (id int PRIMARY KEY);
